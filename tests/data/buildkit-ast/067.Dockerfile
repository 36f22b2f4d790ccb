FR<\
""IL