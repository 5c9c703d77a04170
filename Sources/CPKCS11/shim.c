// CPKCS11 is declarations only (include/CPKCS11.h); SwiftPM needs one source file in a C target.
#include "CPKCS11.h"
