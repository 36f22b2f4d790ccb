x ?Dscapee=\

E#

™™™™™™™™™™ééscapee=\

E#

# A tw