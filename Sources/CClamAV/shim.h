#ifndef FILESTORE_CCLAMAV_SHIM_H
#define FILESTORE_CCLAMAV_SHIM_H
#include <clamav.h>
#endif
