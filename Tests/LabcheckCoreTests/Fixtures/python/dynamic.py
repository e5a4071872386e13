import importlib
from importlib import import_module as im
mod = importlib.import_module("plugins.alpha")
other = __import__("beta")
third = im('gamma.delta')
skipped = importlib.import_module(name)
relative = importlib.import_module(".rel", "pkg")
fstring = importlib.import_module(f"x.{y}")
