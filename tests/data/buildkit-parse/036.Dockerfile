# yntax=docker/dockatch
LABEcoLker `  b
