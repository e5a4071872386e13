from . import m
from .. import n as nn
from ...pkg.sub import (
    one,
    two as deux,
)
from .x import *
from a.b import c, \
    d
