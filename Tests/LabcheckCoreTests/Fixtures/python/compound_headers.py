def f(x: int = {1: 2}, *, y=lambda: 3) -> "a:b": import in_def_header_line
for k in d[1:2]: import after_for
while (n := 1): import after_walrus
with open("a:b") as f, \
        open("c") as g: import after_continued_with
class A(B, metaclass=M): x = 1; import after_class_semicolon
if not TYPE_CHECKING: import not_type_checking
if TYPE_CHECKING: import one_line_tc
try: import in_try
except (A, B) as e: import in_except
else: import in_else
finally: import in_finally
async def g(): import in_async
if typing.TYPE_CHECKING:
    import dotted_tc
elif x: import after_elif
if \
  TYPE_CHECKING:
    import continued_tc
def h(a,  # a comment: with a colon
      b): from after_comment import name
import top_level
match command:
    case "load": import in_case
    case _: from fallback import handler
case = {"k": 1}; match: int = 2
