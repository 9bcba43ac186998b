"""Everyday words, so the guard can tell an add-on name from ordinary prose.

Many catalogue names are plain words ("Zoom", "Clear Cache", "Dark Reader"); a reply saying "zoom in"
names nothing. The list covers function words (the retrieval stop words) and the vocabulary replies
about browser add-ons use.
"""

from __future__ import annotations

from retrieval.text import STOP_WORDS

COMMON_WORDS = STOP_WORDS | frozenset(
    """able across actually added adding ads advanced again agent alarm alert all allow allows almost alone
    along already alternative always amazing another anyone anything app apps around article articles ask
    audio auto automatic automatically available away back bar based basic beautiful best better big black
    block blocker blocking blocks blue book browsing bookmark bookmarks both bottom box bright button buttons cache
    calendar can capture care change changes chat check checker choice choose clean clear click clipboard
    close code collection color colors colour come comes companion complete container containers content
    control controls convert converter cookie cookies copy could count custom customize daily dark data day
    days dear default delete design designed detect dial dictionary different direct display do document
    does done double download downloader downloads dual each easily easy edit editor email enable enjoy
    enhanced enhancer entire even ever everything everywhere exactly export extra fair fast faster favorite
    favourite feature features feed file files fill filter filters find finder first fit fits fix fixer
    focus font fonts for form forms frame free fresh friendly full fullscreen fun gallery general generator
    glad go good great green grey group guard happy has have hello here hi hide high highlight highlighter history
    home hover icon icons idea ideas image images important including info information instant instead
    just keep keeper key keyboard keys know love language languages last later layout learn less light like
    lightweight line link links list lite little live load local lock long look looking lot made mail main
    make manage manager many map maybe media menu minimal mode modern more mozilla mouse move much music mute my
    name native need new news next nice night note notes notifier now number offline old one online only
    open option options order organize organizer original other page pages panel password passwords paste
    pause people perfect personal picker picture play player plus pop popular popup power preview price
    print privacy private pro productivity protect protection protector proxy pure quick quickly quite
    read reader reading ready real recent red redirect refresh reload remove replace right safe save saver
    screen screenshot scroll search secure security see select send session sessions set settings share
    shopping short show side sidebar simple simply site sites size skip small smart smooth social sort
    sorry sound speed spell start started still stop store style styles support sure switch switcher sync tab
    tabs take text thank thanks theme themes these think this three time timer today todo toggle toolbar top track
    tracker trackers tracking translate translation translator tree try turn two type ultimate under
    unlimited update url useful user users video videos view viewer visit voice volume want watch way
    weather web website websites welcome well white whole window windows word words work works world
    write yes you zoom
    behind brief clippings clockwise complexity dupe epub glean javascript louder overview pinterest plug
    podcasts rested snowflake stealthy stutter stylish surmount twitter windowed""".split()
)
