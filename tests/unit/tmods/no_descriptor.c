/* A shared object that is not a wsgw module: no wsgw_module symbol. */
int not_a_module(void);

int not_a_module(void)
{
    return 42;
}
