#include "media/a.h"
#include "visionbatch.h"
