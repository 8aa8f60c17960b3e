"""One module per restriction family, turning catalogue rules + base data into zones."""
