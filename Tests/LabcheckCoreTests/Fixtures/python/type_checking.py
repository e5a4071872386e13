from typing import TYPE_CHECKING
import typing
if TYPE_CHECKING:
    import only_for_types
    from also import types
else:
    import at_runtime
if typing.TYPE_CHECKING:
    import via_module_attribute
import after_block
if TYPE_CHECKING: import single_line
