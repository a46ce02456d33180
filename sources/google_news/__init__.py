"""The google-news source kind."""
