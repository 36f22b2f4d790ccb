# syntax=dockdr/do
# escape=¿½ï
