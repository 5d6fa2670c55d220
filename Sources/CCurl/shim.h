#ifndef FEEDBACK_CCURL_SHIM_H
#define FEEDBACK_CCURL_SHIM_H

#include <curl/curl.h>

/* curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call. One typed
   wrapper per argument kind keeps every call checked by the compiler. */

static inline CURLcode feedback_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode feedback_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode feedback_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode feedback_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

typedef size_t (*feedback_curl_data_callback)(char *data, size_t size, size_t count, void *context);

static inline CURLcode feedback_curl_setopt_data_callback(CURL *handle, CURLoption option, feedback_curl_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}

typedef int (*feedback_curl_progress_callback)(void *context, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode feedback_curl_setopt_progress_callback(CURL *handle, CURLoption option, feedback_curl_progress_callback value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode feedback_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode feedback_curl_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode feedback_curl_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

/* CURLVERSION_NOW is a macro naming an enum constant, which Swift does not import. */
static inline curl_version_info_data *feedback_curl_version_info(void) {
    return curl_version_info(CURLVERSION_NOW);
}

#endif
