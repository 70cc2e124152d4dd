#ifndef FILESTORE_CVIPS_SHIM_H
#define FILESTORE_CVIPS_SHIM_H
#include <vips/vips.h>
#endif
