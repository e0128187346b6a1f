ü
5
aibom-sample"serve*2.15.02v2.15.0-0-g6887368d6d4±
;
xPlaceholder*
dtype0*
shape:ÿÿÿÿÿÿÿÿÿ
m
StatefulPartitionedCallStatefulPartitionedCallx*
Tin
0*
Tout
0*
fR
__inference_call_7~
|
&
__inference_call_7
x
pyˆ?
pyPyFuncx*
token
pyfunc_0*
Tin
0*
Tout
0"
pypy:output:0"í*Ž
serving_default{

x
x:0ÿÿÿÿÿÿÿÿÿ<
output_00
StatefulPartitionedCall:0ÿÿÿÿÿÿÿÿÿtensorflow/serving/predict