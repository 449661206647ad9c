/* A small JSON Schema check for the API test: what the server sends against openapi.json. */
#include "openapi_check.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const cJSON *resolve(const cJSON *doc, const cJSON *schema)
{
        const cJSON *ref = cJSON_GetObjectItemCaseSensitive(schema, "$ref");
        char path[256], *save = NULL;
        if (!cJSON_IsString(ref) || strncmp(ref->valuestring, "#/", 2) != 0)
                return schema;
        snprintf(path, sizeof(path), "%s", ref->valuestring + 2);
        const cJSON *at = doc;
        for (char *k = strtok_r(path, "/", &save); k && at; k = strtok_r(NULL, "/", &save))
                at = cJSON_GetObjectItemCaseSensitive(at, k);
        return at ? resolve(doc, at) : NULL;
}

static cJSON_bool is_integer(const cJSON *const v)
{
        return cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble;
}

/* Whether v is of the JSON Schema type t (an unknown type matches nothing). */
static bool type_is(const cJSON *v, const char *t)
{
        static const struct {
                const char *name;                     /* a JSON Schema type */
                cJSON_bool (*is)(const cJSON *const); /* cJSON's test for it */
        } types[] = {{"null", cJSON_IsNull},    {"object", cJSON_IsObject},
                     {"array", cJSON_IsArray},  {"string", cJSON_IsString},
                     {"boolean", cJSON_IsBool}, {"number", cJSON_IsNumber},
                     {"integer", is_integer}};
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
                if (strcmp(t, types[i].name) == 0)
                        return types[i].is(v);
        return false;
}

static int fail(char *err, size_t errsz, const char *where, const char *why)
{
        snprintf(err, errsz, "%s: %s", where, why);
        return -1;
}

static int check_type(const cJSON *s, const cJSON *v, const char *where, char *err, size_t errsz)
{
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "type"), *e;
        bool ok = false;
        if (!t)
                return 0;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "nullable")) && cJSON_IsNull(v))
                return 0;
        if (cJSON_IsString(t))
                ok = type_is(v, t->valuestring);
        cJSON_ArrayForEach(e, (cJSON_IsArray(t) ? t : NULL)) ok = ok || type_is(v, e->valuestring);
        return ok ? 0 : fail(err, errsz, where, "wrong type");
}

static int check_object(const cJSON *doc, const cJSON *s, const cJSON *v, const char *where,
                        char *err, size_t errsz)
{
        const cJSON *req = cJSON_GetObjectItemCaseSensitive(s, "required"), *e;
        const cJSON *props = cJSON_GetObjectItemCaseSensitive(s, "properties");
        const cJSON *extra = cJSON_GetObjectItemCaseSensitive(s, "additionalProperties");
        char sub[512];
        cJSON_ArrayForEach(e, req) if (!cJSON_GetObjectItemCaseSensitive(v, e->valuestring))
        {
                snprintf(sub, sizeof(sub), "%s.%s", where, e->valuestring);
                return fail(err, errsz, sub, "required, missing");
        }
        cJSON_ArrayForEach(e, v)
        {
                const cJSON *ps = cJSON_GetObjectItemCaseSensitive(props, e->string);
                snprintf(sub, sizeof(sub), "%s.%s", where, e->string);
                if (!ps && cJSON_IsFalse(extra))
                        return fail(err, errsz, sub, "not in the schema");
                if (!ps && cJSON_IsObject(extra))
                        ps = extra;
                if (ps && openapi_check(doc, ps, e, sub, err, errsz) < 0)
                        return -1;
        }
        return 0;
}

int openapi_check(const cJSON *doc, const cJSON *schema, const cJSON *value, const char *where,
                  char *err, size_t errsz)
{
        const cJSON *s = resolve(doc, schema), *e;
        char sub[512];
        int i = 0;
        if (!s)
                return fail(err, errsz, where, "unresolved $ref");
        if (check_type(s, value, where, err, errsz) < 0)
                return -1;
        if (cJSON_IsNull(value))
                return 0;
        const cJSON *en = cJSON_GetObjectItemCaseSensitive(s, "enum");
        if (en) {
                bool found = false;
                cJSON_ArrayForEach(e, en) found = found || cJSON_Compare(e, value, true);
                if (!found)
                        return fail(err, errsz, where, "not one of the enum");
        }
        const cJSON *min = cJSON_GetObjectItemCaseSensitive(s, "minimum");
        const cJSON *max = cJSON_GetObjectItemCaseSensitive(s, "maximum");
        if (cJSON_IsNumber(value) && ((min && value->valuedouble < min->valuedouble) ||
                                      (max && value->valuedouble > max->valuedouble)))
                return fail(err, errsz, where, "out of range");
        if (cJSON_IsObject(value))
                return check_object(doc, s, value, where, err, errsz);
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(s, "items");
        cJSON_ArrayForEach(e, (cJSON_IsArray(value) && items ? value : NULL))
        {
                snprintf(sub, sizeof(sub), "%s[%d]", where, i++);
                if (openapi_check(doc, items, e, sub, err, errsz) < 0)
                        return -1;
        }
        return 0;
}

const cJSON *openapi_response_schema(const cJSON *doc, const char *path, const char *method,
                                     const char *status)
{
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "paths"), path),
            method);
        const cJSON *r =
            resolve(doc, cJSON_GetObjectItemCaseSensitive(
                             cJSON_GetObjectItemCaseSensitive(op, "responses"), status));
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "content"),
                                             "application/json"),
            "schema");
        return c;
}
