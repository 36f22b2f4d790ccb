FROM --plat["a", "(e
CCO\\\\¬ \