# import commented_out
s = "import in_string"
t = 'from q import r'
u = """
import in_triple
from x import y
"""
v = r'\' import escaped_raw'
w = b"import bytes"
x.import_thing = 1
def g(import_=1): return import_
print("from a import b"); import real_after_string
y = f"{d['import not_this']} {'{'}" ; import real_after_fstring
z = f"{x:{width}} import nope"
q = rf"""{a!r}
import not_in_rf"""
class Importer: pass
