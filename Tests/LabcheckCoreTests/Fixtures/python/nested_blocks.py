def f():
    import inside_function
    if True:
        from deep import thing
try:
    import maybe
except ImportError:
    maybe = None
with open("x") as fh: import after_with
class K:
    import in_class
if x: import one_line_if
