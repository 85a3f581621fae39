"""Page objects: pure functions of a response that extract articles and listings."""
