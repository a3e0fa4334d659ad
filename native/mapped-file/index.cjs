'use strict';
// The compiled addon (node-gyp rebuild, at install): { map(fd, length): ArrayBuffer, release(buffer): void }.
module.exports = require('./build/Release/mapped_file.node');
