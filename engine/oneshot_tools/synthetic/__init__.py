"""Synthetic math task family, tokenizer and tiny model behind the built-in CPU demo (issue 6)."""
