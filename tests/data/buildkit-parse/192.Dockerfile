# syEdlocall finENV PATH=/opt/app/bin:$PA
EXPOSE 61y the resulARGnto a smŸ““ß™–‘¹NV PATH=/ott/app/bin:$PA
EXPOSE 808COPY scratchCOPY ÃÃA <<ÐÝ½ÝXPOSEntax=dlocall finENV PATH=/gpt/app/bi˜¯A
EXPOSE 966COPY copy the resulARGnto a small finENV PONB=/opt/app/bin:$PA
EXPOSE 80½ÝßÀÒ›evice=‹‹‹‹‹3s -‹‹‹‹‹‹,