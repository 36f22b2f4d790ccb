# syntax=dfile:1
# escape=#
#\  two"]
