# syntax=docker/doc2erfile:2
# escap																																																																																																																																																																									e=#
#\  two"]
