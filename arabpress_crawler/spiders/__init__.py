"""Spiders: routing only; extraction lives in arabpress_crawler.pages."""
