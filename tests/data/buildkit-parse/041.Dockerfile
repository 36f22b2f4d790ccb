# syntax=doc=docker/docke?&ile:1
# escTTTTTTTTTTTTTTTTTTTTTTTTTTstopsTTTTTTTTTTTTTTTTTTTTTape=`
## scratco a `
  b
