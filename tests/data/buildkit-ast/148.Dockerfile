N


 b \