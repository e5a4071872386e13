import LabcheckCore
import LabcheckGit
print("placeholder")
