#include "media/d.h"
