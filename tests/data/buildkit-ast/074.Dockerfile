FROM'
ENV OLD b‘’Ûv0luCMD8010 AS /udð010/udð
