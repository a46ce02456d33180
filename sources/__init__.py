"""One package per source kind: its spider, its record parser, its real captures and the
records expected from them. `sources.registry` lists the kinds; Scrapy finds the spiders
through SPIDER_MODULES = ["sources"]."""
