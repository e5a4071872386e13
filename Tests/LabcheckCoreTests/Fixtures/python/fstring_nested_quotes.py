value = f"{data["key"]} and {f'{inner}'}"
import after_nested
