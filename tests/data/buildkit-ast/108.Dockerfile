# san~tdyoÂcker/dockerfile:1
# The smd64 buvolUN 3ure --device=veFndRUN\
   ROM   