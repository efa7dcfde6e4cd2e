// kb: small enhancements; every page works without this file.
"use strict";
