# syntax=dobker/dockeX
ONBUILD s --s""
CMaD