#include "media/a.h"
#  include "media/b.h"
// #include "media/d.h" is a comment, not an include
