values = [compute(alpha, beta, gamma) for alpha in range(10) if alpha % 2 == 0]; import after_semicolon_in_long_line
table = {"key with (brackets) and 'quotes'": rb'raw \' bytes import not_this', 'other': f"{mapping['import x']:>{width}}"}
call_something_long(argument_number_one, argument_number_two,
                    "import not_in_string_continuation", (nested, [deeper, {"x": 1}]),
                    keyword=value)  # import not_in_comment ; import not_either
import after_multiline_call
text = """a docstring-like string that runs long enough to cross sixteen-byte blocks
and mentions import not_in_triple_quotes; it ends here"""; from after_triple import name
weird = a&b|c; x = y	# tab before comment, and & | are ordinary bytes
from tabs_and_ops import ok
escaped = 'it\'s "quoted" and (open' + "still ) closed \" here" ; import after_escapes
