// SwiftPM needs one source file in a C target; the declarations in include/CBoringAEAD.h are all
// this target provides (their definitions are swift-crypto's).
#include "CBoringAEAD.h"
