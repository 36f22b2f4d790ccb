# org.oe"
C1MD --exclude=["/hello>txt"]
