F
""IL