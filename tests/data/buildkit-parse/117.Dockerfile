FROM --platform=linux/amd64- sbœbyuo AS b__________b
	B
RUN 3<<ææææææææ$$$$$$$$$$$$$$$$$$$________________
RUN --mount=y/nu