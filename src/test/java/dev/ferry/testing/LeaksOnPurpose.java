package dev.ferry.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test that drops a ByteBuf unreleased on purpose (a test of {@link LeakWatch} itself): the watch does not
 * fail it, and Netty's report of the leak (about 160 lines of access records) is kept out of the console. The test
 * reads the reports with {@link LeakWatch#reportsOfThisTest()}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface LeaksOnPurpose {
}
