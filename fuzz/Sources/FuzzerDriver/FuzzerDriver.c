// The declaration in include/FuzzerDriver.h is the whole module; libFuzzer defines the function.
#include "FuzzerDriver.h"
