#ifndef ERRATA_VERSION_H
#define ERRATA_VERSION_H
#define ERRATA_VERSION "0.1.0"
#endif
