Bwj!
location../../../etc/hostnamep