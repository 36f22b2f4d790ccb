# syntax=docker/dockerfile:2
# escape=#
#\  two"]
