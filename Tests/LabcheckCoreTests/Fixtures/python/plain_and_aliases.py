import os
import a.b as c, d
import   e.f.g
x = 1; import h
