"""The sitemap source kind."""
