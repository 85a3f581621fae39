"""The local mirror of Arab Press: content, renderer, generator and server."""
