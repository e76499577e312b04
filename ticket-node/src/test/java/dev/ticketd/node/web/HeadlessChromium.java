package dev.ticketd.node.web;

import dev.ticketd.testing.TestTimeouts;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * A real browser for the browser tests: Debian's headless Chromium driven through its
 * chromedriver, with the few steps every such test takes (log in, open a page and wait for it,
 * screenshots to {@code target/screens/}).
 *
 * <p>Needs Chromium and its driver ({@code apt-get install chromium chromium-driver}; other paths
 * in {@code TICKETD_CHROMIUM} and {@code TICKETD_CHROMEDRIVER}). Without them a test is skipped,
 * unless {@code TICKETD_REQUIRE_BROWSER=1} (as in CI), when it fails.
 */
public final class HeadlessChromium implements AutoCloseable {

    static final Path SCREENS = Path.of("target", "screens");
    private static final String INSTALL = "apt-get install chromium chromium-driver";

    public final ChromeDriver driver;
    private final String base;

    private HeadlessChromium(ChromeDriver driver, String base) {
        this.driver = driver;
        this.base = base;
    }

    /** Skips (or, where a browser is required, fails) the calling test when there is no browser; call before anything else. */
    public static void requireBrowser() {
        if (chromium().isEmpty() || chromedriver().isEmpty()) {
            String missing = (chromium().isEmpty() ? "chromium " : "") + (chromedriver().isEmpty() ? "chromedriver " : "")
                    + "not found; install with `" + INSTALL + "`";
            if ("1".equals(System.getenv("TICKETD_REQUIRE_BROWSER"))) {
                fail("TICKETD_REQUIRE_BROWSER=1 but " + missing);
            }
            abort("browser check skipped: " + missing); // a machine with only a JDK and Maven: the README says so
        }
    }

    /** A browser window of this size, talking to the node on {@code port}. */
    public static HeadlessChromium open(int port, int width, int height) {
        requireBrowser();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium().orElseThrow().toFile());
        // --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=" + width + "," + height);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver().orElseThrow().toFile()).build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(TestTimeouts.seconds(30));
        return new HeadlessChromium(driver, "http://127.0.0.1:" + port);
    }

    public void logIn(String email) {
        driver.get(base + "/login");
        type(By.name("email"), email);
        type(By.name("password"), WebFixture.PASSWORD);
        driver.findElement(By.cssSelector("form button[type=submit]")).click();
        new WebDriverWait(driver, TestTimeouts.seconds(15)).until(ExpectedConditions.urlMatches("/tickets$"));
    }

    /** Opens {@code path} and waits until the page has loaded. */
    public void go(String path) {
        driver.get(base + path);
        waitUntilLoaded();
    }

    public void waitUntilLoaded() {
        new WebDriverWait(driver, TestTimeouts.seconds(15)).until(d -> "complete".equals(
                ((JavascriptExecutor) d).executeScript("return document.readyState")));
    }

    /**
     * Types {@code text} into the field {@code field}, as a person would (key by key, so the page's
     * input events fire).
     *
     * <p>Chromium 134 and later sometimes refuse to focus an element just found, answering
     * "Node with given id does not belong to the document" while the page changes another part of
     * itself (here: a live update). That is chromedriver's bookkeeping, not the page: the field is
     * found again and typed into once more, but only while nothing of {@code text} reached it.
     */
    public void type(By field, String text) {
        for (int attempt = 1; ; attempt++) {
            WebElement target = driver.findElement(field);
            String before = target.getAttribute("value");
            try {
                target.sendKeys(text);
                return;
            } catch (WebDriverException e) {
                if (attempt >= 3 || !lostNode(e) || !Objects.equals(before, driver.findElement(field).getAttribute("value"))) {
                    throw e;
                }
            }
        }
    }

    /** Clicks and waits for the page the click loads ({@code element} goes stale when the new page replaces it). */
    public void clickAndWait(By element) {
        WebElement target = driver.findElement(element);
        try {
            target.click();
        } catch (WebDriverException e) {
            if (!lostNode(e)) {
                throw e;
            }
            target = driver.findElement(element); // see type(): the click was refused before it was made
            target.click();
        }
        awaitGone(target);
        waitUntilLoaded();
    }

    /**
     * Waits until {@code element} left the page (a new page replaced it). Selenium's
     * {@code stalenessOf}, except that chromedriver's "Node with given id does not belong to the
     * document" counts as gone: Chromium 134 and later answer so for an element of a page that was
     * just replaced, where older ones said "stale element".
     */
    public void awaitGone(WebElement element) {
        new WebDriverWait(driver, TestTimeouts.seconds(15)).until(d -> {
            try {
                element.isEnabled();
                return false;
            } catch (StaleElementReferenceException e) {
                return true;
            } catch (WebDriverException e) {
                if (lostNode(e)) {
                    return true;
                }
                throw e;
            }
        });
    }

    /** chromedriver's answer when it lost track of an element it had just found (see {@link #type}). */
    private static boolean lostNode(WebDriverException e) {
        return String.valueOf(e.getMessage()).contains("Node with given id does not belong to the document");
    }

    public void screenshot(String name) throws IOException {
        Files.createDirectories(SCREENS);
        Files.write(SCREENS.resolve(name + ".png"), driver.getScreenshotAs(OutputType.BYTES));
    }

    /** The whole page as one picture: the window made as tall as the page (same width), then back. */
    void screenshotWholePage(String name) throws IOException {
        Dimension window = driver.manage().window().getSize();
        long chrome = window.getHeight() - number("window.innerHeight");
        long tall = Math.min(6000, number("document.documentElement.scrollHeight") + chrome);
        driver.manage().window().setSize(new Dimension(window.getWidth(), (int) tall));
        try {
            Files.createDirectories(SCREENS);
            Files.write(SCREENS.resolve(name + "-whole.png"), driver.getScreenshotAs(OutputType.BYTES));
        } finally {
            driver.manage().window().setSize(window);
        }
    }

    public long number(String expression) {
        return ((Number) driver.executeScript("return " + expression + ";")).longValue();
    }

    @Override
    public void close() {
        driver.quit();
    }

    private static Optional<Path> chromium() {
        return executable(System.getenv("TICKETD_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser");
    }

    private static Optional<Path> chromedriver() {
        return executable(System.getenv("TICKETD_CHROMEDRIVER"), "/usr/bin/chromedriver", "chromedriver");
    }

    /**
     * {@code override} when it is set (then nothing else: a wrong path must not silently find
     * another browser), else the first of the paths (absolute) or names (looked up on PATH) that is
     * an executable file.
     */
    private static Optional<Path> executable(String override, String... candidates) {
        if (override != null && !override.isBlank()) {
            return Files.isExecutable(Path.of(override)) ? Optional.of(Path.of(override)) : Optional.empty();
        }
        for (String candidate : candidates) {
            if (candidate.startsWith("/")) {
                if (Files.isExecutable(Path.of(candidate))) {
                    return Optional.of(Path.of(candidate));
                }
                continue;
            }
            for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                Path p = Path.of(dir, candidate);
                if (!dir.isEmpty() && Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }
}
