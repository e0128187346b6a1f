ç
5
aibom-sample"serve*2.15.02v2.15.0-0-g6887368d6d4”

xPlaceholder*
dtype0
R
StatefulPartitionedCallStatefulPartitionedCallx*
fR
__inference_call_7Y
W

__inference_call_7?
pyPyFuncx*
token
pyfunc_0*
Tin
0*
Tout
0"Ì